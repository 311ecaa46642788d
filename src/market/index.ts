/** Market data sources (SPEC 11): every source is a cold Observable of MarketSlice. */
export type { BadRowHandler, BadRowInfo, BadRowReason, DataCursor, DataSource, DataStats, MarketSlice, SourceKind } from './types.ts';
export { ReplaySource, type ReplayOptions } from './replay.ts';
export { SimulatedSource, type SimulatedOptions } from './simulated.ts';
export { paced } from './paced.ts';
export { availableDates, availableSymbols, type Resolution } from './catalog.ts';
export { NyTime, nyOffsetMs } from './nytime.ts';
