/** Cell values as MIME bundles a person reads, and the `notebook` object cells use. */
export { mimeBundleOf, plainText } from './mimeBundle';
export { notebook, Notebook } from './notebook';
