export { TextDocument, type TextDocumentOptions } from './document.js';
export type { TextDelete, TextId, TextInsert, TextUpdate, TextVersion } from './types.js';
