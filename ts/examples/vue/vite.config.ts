import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// In development the API runs apart (the demo on port 3000): the dev server forwards /api to
// it, so the app and the API share an origin and the session cookie, as they do in production.
export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:3000" },
    },
  },
});
