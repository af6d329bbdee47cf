// Moved to the contract layer; kept for imports not yet switched.
export {
  ProviderError,
  isTruncatedFinish,
  type CompletionRequest,
  type CompletionResult,
  type ModelProvider,
  type ModelStyle,
  type Prompt,
  type SamplingParams,
  type Usage,
} from '../core/model.js';
