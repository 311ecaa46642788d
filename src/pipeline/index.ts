/** The pure pipeline stages (SPEC 4), one module per stage. */
export * from './volatility.ts';
export * from './spreadGate.ts';
export * from './standardize.ts';
export * from './confidence.ts';
export * from './blend.ts';
export * from './arbitrate.ts';
export * from './barrier.ts';
export * from './sizing.ts';
export * from './portfolio.ts';
export * from './risk.ts';
export { clip, mean, sampleStd, populationStd, ranks, pearson } from './stats.ts';
