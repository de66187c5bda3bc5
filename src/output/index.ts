/** Notebook output below everything else: the output interface, live displays, and how values read for a person. */
export { MimeBundle, CommData, MIME_BUNDLE, SHOWN_ABOVE, isShownAbove, OutputComm, NotebookOutput, attachNotebookOutput, notebookOutput } from './notebookOutput';
export { LiveDisplay } from './liveDisplay';
export { StatusLine, StatusParts, StatusState, statusText, statusBundle, PROCESS_RUN } from './statusLine';
export { Progress, ProgressState, progressText, sampleProgress } from './progress';
export { TableData, TableJson, TABLE_MIME, EMPTY_REASON, explainEmpty, tableBundle, cellText, timeColumnsOf } from './table';
export { formatCount, formatRate, formatNumber, formatTime, formatBytes, formatDuration, isEpochMs, isTimeColumn } from './format';
export { escapeHtml } from './html';
