import { createRouter, createWebHistory } from "vue-router";
import ConsentPage from "./pages/ConsentPage.vue";
import ForgotPasswordPage from "./pages/ForgotPasswordPage.vue";
import HomePage from "./pages/HomePage.vue";
import LoginPage from "./pages/LoginPage.vue";
import MagicLinkPage from "./pages/MagicLinkPage.vue";
import MfaPage from "./pages/MfaPage.vue";
import NotFoundPage from "./pages/NotFoundPage.vue";
import RegisterPage from "./pages/RegisterPage.vue";
import ResetPasswordPage from "./pages/ResetPasswordPage.vue";
import SettingsPage from "./pages/SettingsPage.vue";
import VerifyEmailPage from "./pages/VerifyEmailPage.vue";

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/", component: HomePage },
    { path: "/login", component: LoginPage },
    { path: "/register", component: RegisterPage },
    { path: "/forgot-password", component: ForgotPasswordPage },
    { path: "/reset-password", component: ResetPasswordPage },
    { path: "/verify-email", component: VerifyEmailPage },
    { path: "/magic-link", component: MagicLinkPage },
    { path: "/mfa", component: MfaPage },
    { path: "/settings", component: SettingsPage },
    { path: "/consent", component: ConsentPage },
    { path: "/:unknown(.*)*", component: NotFoundPage },
  ],
});
