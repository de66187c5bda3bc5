export { MimeBundle, MIME_BUNDLE, mimeBundleOf, plainText, escapeHtml } from './mimeBundle';
export { notebook, Notebook, NotebookOutput, OutputComm, CommData, attachNotebookOutput, notebookOutput } from './notebook';
