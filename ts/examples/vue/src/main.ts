import { YAuthPlugin } from "@yauth/ui-vue";
import { createApp } from "vue";
import App from "./App.vue";
import { AUTH_BASE } from "./auth";
import { router } from "./router";
import "./style.css";

createApp(App).use(YAuthPlugin, { baseUrl: AUTH_BASE }).use(router).mount("#app");
