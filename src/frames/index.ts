export { DataFrame, loadDanfo, frameFromColumns, isDataFrame } from './danfo';
export { recordsToFrame } from './recordsFrame';
