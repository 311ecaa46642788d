/**
 * The order state machine as one table of allowed (state, event) pairs (SPEC 3, after
 * NautilusTrader's order FSM). The machine in order.machine.ts is generated from this table and a
 * test checks every pair against it: an allowed pair moves to the listed state, any other pair is
 * refused and recorded (never silently dropped).
 */
export const ORDER_STATES = [
  'submitting',
  'submitted',
  'unresolved',
  'accepted',
  'partiallyFilled',
  'filled',
  'rejected',
  'canceled',
  'expired',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const ORDER_EVENTS = [
  'order.submitted',
  'order.accepted',
  'order.rejected',
  'order.partiallyFilled',
  'order.filled',
  'order.canceled',
  'order.expired',
  'order.outcomeUnknown',
  'order.cancelRequested',
] as const;
export type OrderEventType = (typeof ORDER_EVENTS)[number];

/** state -> event -> next state. Absent pairs are refused. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderState, Partial<Record<OrderEventType, OrderState>>>> = {
  submitting: {
    'order.submitted': 'submitted',
    'order.accepted': 'accepted',
    'order.rejected': 'rejected',
    'order.partiallyFilled': 'partiallyFilled',
    'order.filled': 'filled',
    'order.outcomeUnknown': 'unresolved',
  },
  submitted: {
    'order.accepted': 'accepted',
    'order.rejected': 'rejected',
    'order.partiallyFilled': 'partiallyFilled',
    'order.filled': 'filled',
    'order.canceled': 'canceled',
    'order.expired': 'expired',
    'order.cancelRequested': 'submitted',
  },
  // An ambiguous submit: only a query by client order id resolves it; never re-sent blindly.
  unresolved: {
    'order.accepted': 'accepted',
    'order.rejected': 'rejected',
    'order.partiallyFilled': 'partiallyFilled',
    'order.filled': 'filled',
    'order.canceled': 'canceled',
    'order.expired': 'expired',
  },
  accepted: {
    'order.partiallyFilled': 'partiallyFilled',
    'order.filled': 'filled',
    'order.canceled': 'canceled',
    'order.expired': 'expired',
    'order.cancelRequested': 'accepted',
  },
  partiallyFilled: {
    'order.partiallyFilled': 'partiallyFilled',
    'order.filled': 'filled',
    'order.canceled': 'canceled',
    'order.expired': 'expired',
    'order.cancelRequested': 'partiallyFilled',
  },
  filled: {},
  rejected: {},
  // A late fill can still arrive after a cancel: canceled stays open for a grace period.
  canceled: {
    'order.partiallyFilled': 'canceled',
    'order.filled': 'filled',
  },
  expired: {},
};

export const TERMINAL_ORDER_STATES: readonly OrderState[] = ['filled', 'rejected', 'expired'];

export function isAllowed(state: OrderState, event: OrderEventType): boolean {
  return ORDER_TRANSITIONS[state][event] !== undefined;
}
