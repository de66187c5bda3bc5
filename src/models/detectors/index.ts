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

/** What a user may set of any detector that has it, whatever its own options are called. */
export interface DetectorSettings {
  /**
   * Rows after an alert in which the detector does not alert again (0: every row may). The defaults suit NAB, which
   * charges every repeated alert: one alert per incident. A feed with incidents closer together than that wants fewer.
   */
  quietRows?: number;
}

/** Detectors by name; the first is the default (the best on NAB's development corpus, by cross-validation). */
export const DETECTORS: Record<string, (settings: DetectorSettings) => OnlineDetector> = {
  ensemble: ({ quietRows }) => new EnsembleDetector(quietRows === undefined ? {} : { quietMinRows: quietRows, quietMaxRows: quietRows }),
  // The same parts, plus a single-value spike and a stuck run as alarms of their own, and no alarm for a record set by
  // noise: for steady sensors (noise around a level), where these are what goes wrong and what does not. Off in the
  // default: on NAB's skewed series they cost points (bench/nabCrossValidation.ts).
  sensor: ({ quietRows }) => new EnsembleDetector({ spikeRatio: 10, stuckRows: 10, extremeErrors: 1, ...(quietRows === undefined ? {} : { quietMinRows: quietRows, quietMaxRows: quietRows }) }),
  likelihood: ({ quietRows }) => new LikelihoodDetector({ quietRows }),
  windowedGaussian: ({ quietRows }) => {
    if (quietRows !== undefined) throw new StreamlabError('windowedGaussian has no quiet period: it flags every row past its threshold', 'drop quietRows (--quiet), or choose ensemble or likelihood');
    return new WindowedGaussian();
  },
};

export function createDetector(name: string = Object.keys(DETECTORS)[0]!, settings: DetectorSettings = {}): OnlineDetector {
  const make = DETECTORS[name];
  if (!make) {
    const guess = didYouMean(name, Object.keys(DETECTORS));
    throw new StreamlabError(`unknown detector '${name}'`, guess ? `did you mean '${guess}'?` : `choose one of ${Object.keys(DETECTORS).join(', ')}`);
  }
  const q = settings.quietRows;
  if (q !== undefined && (!Number.isSafeInteger(q) || q < 0)) throw new StreamlabError(`quietRows must be a whole number >= 0, got ${String(q)}`);
  return make(settings);
}
