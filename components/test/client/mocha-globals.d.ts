// The few Mocha globals the browser tests use (@web/test-runner runs Mocha; its types
// are not installed in this repository).
declare function describe(title: string, body: () => void): void;
declare function it(title: string, body: () => void | Promise<void>): void;
declare function beforeEach(body: () => void | Promise<void>): void;
declare function afterEach(body: () => void | Promise<void>): void;
