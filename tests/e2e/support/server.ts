/**
 * Where the e2e server listens (playwright.config.ts starts it through tests/e2e/serve.ts). E2E_PORT moves it,
 * so two checkouts on one machine can run their suites side by side; the model server takes the next port.
 */
export const PORT = Number(process.env.E2E_PORT ?? 4173);
/** The server's ORIGIN: SvelteKit refuses form posts from any other origin, so browsers and clients use exactly this. */
export const BASE_URL = `http://localhost:${PORT}`;
/** The OpenAI-compatible test server the sampling spec registers as the current model. */
export const MODEL_PORT = PORT + 1;
export const MODEL_BASE_URL = `http://127.0.0.1:${MODEL_PORT}/v1`;
