/** Online detectors for live streams and for NAB. */
import { StreamlabError, didYouMean } from '../../errors';
import type { OnlineDetector } from './detector';
import { EnsembleDetector } from './ensemble';
import { LikelihoodDetector } from './likelihood';
import { WindowedGaussian } from './windowedGaussian';

export * from './detector';
export * from './windowedGaussian';
export * from './likelihood';
export * from './ensemble';

/** Detectors by name; the first is the default (the best on NAB's development corpus, by cross-validation). */
export const DETECTORS: Record<string, () => OnlineDetector> = {
  ensemble: () => new EnsembleDetector(),
  likelihood: () => new LikelihoodDetector(),
  windowedGaussian: () => new WindowedGaussian(),
};

export function createDetector(name: string = Object.keys(DETECTORS)[0]!): OnlineDetector {
  const make = DETECTORS[name];
  if (!make) {
    const guess = didYouMean(name, Object.keys(DETECTORS));
    throw new StreamlabError(`unknown detector '${name}'`, guess ? `did you mean '${guess}'?` : `choose one of ${Object.keys(DETECTORS).join(', ')}`);
  }
  return make();
}
