export { reconcile, type Mismatch, type MismatchKind, type ReconcileAction, type ReconcileInput, type ReconcileParams, type ReconcileResult } from './reconcile.ts';
export { ReconciliationError, throwIfRefused } from './errors.ts';
