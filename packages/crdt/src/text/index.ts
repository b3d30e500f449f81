export { TextDocument, type TextDocumentOptions } from './document.js';
export {
  decodeTextDocument,
  decodeTextUpdate,
  encodeTextDocument,
  encodeTextUpdate,
  mergeTextUpdates,
  TEXT_FORMAT_VERSION,
  type TextDocumentJSON,
  textDocumentFromJSON,
  textDocumentToJSON,
  type TextUpdateJSON,
  textUpdateCodec,
  textUpdateFromJSON,
  textUpdateToJSON,
} from './encoding.js';
export type { TextAnchor, TextDelete, TextId, TextInsert, TextUpdate, TextVersion } from './types.js';
