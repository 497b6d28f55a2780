/** Model packs: validation and family detection (layout), loading (pack), tokenisation, fp16. */
export type { ComponentName, LoadedPack, PackFamily, PackInfo, ProviderReport, UNetExtras } from './types.js';
export { NonFiniteOutputError, PackError, type PackErrorCode } from './errors.js';
export { inspectPack, inspectLayout, type PackLayout } from './layout.js';
export { openPack, guidanceScaleEmbedding, type OpenPackOptions } from './pack.js';
export { loadTokenizer, clipTokenizerJson, PromptTokenizer, TokenizerFileError } from './tokenizer.js';
export { float16ToFloat32, float32ToFloat16, toHalf, fromHalf } from '../fp16.js';
export { readOnnxHeader, OnnxFormatError, type OnnxHeader, type TensorDecl } from './onnx-header.js';
