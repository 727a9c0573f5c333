// The elements' JSX types (generated from their custom-elements.json) in React's JSX.
import type { CustomElements } from '@job-status/elements/jsx';

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
}
