/** Broker abstraction and adapters (SPEC 9). */
export * from './types.ts';
export * from './paper.ts';
export * from './position.ts';
