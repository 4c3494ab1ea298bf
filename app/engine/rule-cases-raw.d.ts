// Types of Vite's `?raw` imports (a file's text as a string), which rule-cases.test.ts uses to
// read the shared case file: the engine's layer may not import Node's fs. Declared here rather
// than through `vite/client`, whose globals (import.meta.env, asset modules) the app does not have.
declare module '*?raw' {
  const text: string;
  export = text;
}
