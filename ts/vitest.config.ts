import vue from "@vitejs/plugin-vue";
import solid from "vite-plugin-solid";
import { defineConfig } from "vitest/config";

// The packages' unit tests run against their sources (`@yauth/client` resolves to packages/client/src), so `npm test` needs no
// build first.
const source = (path: string) => new URL(path, import.meta.url).pathname;
const alias = {
  "@yauth/client": source("./packages/client/src/index.ts"),
  "@yauth/shared": source("./packages/shared/src/index.ts"),
  "@yauth/ui-vue": source("./packages/ui-vue/src/index.ts"),
  "@yauth/ui-solidjs": source("./packages/ui-solidjs/src/index.tsx"),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: "client", environment: "node", include: ["packages/client/src/**/*.test.ts"] },
      },
      {
        plugins: [vue()],
        resolve: { alias },
        test: {
          name: "ui-vue",
          environment: "happy-dom",
          include: ["packages/ui-vue/src/**/*.test.ts"],
        },
      },
      {
        plugins: [solid()],
        resolve: { alias, conditions: ["development", "browser"] },
        test: {
          name: "ui-solidjs",
          environment: "happy-dom",
          include: ["packages/ui-solidjs/src/**/*.test.tsx"],
          server: { deps: { inline: [/solid-js/, /@solidjs/] } },
        },
      },
    ],
  },
});
