import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// The demo serves the API on port 3000; in development Vite forwards `/api` to it, so the
// app and the API share an origin (and the session cookie).
const api = { "/api": "http://127.0.0.1:3000" };

export default defineConfig({
  plugins: [solid()],
  server: { proxy: api },
  preview: { proxy: api },
});
