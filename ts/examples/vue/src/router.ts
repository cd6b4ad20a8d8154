import { createRouter, createWebHistory } from "vue-router";
import { acceptOAuthMfaRedirect } from "./auth";
import ConsentPage from "./pages/ConsentPage.vue";
import DevicePage from "./pages/DevicePage.vue";
import ForgotPasswordPage from "./pages/ForgotPasswordPage.vue";
import HomePage from "./pages/HomePage.vue";
import LoginPage from "./pages/LoginPage.vue";
import MagicLinkPage from "./pages/MagicLinkPage.vue";
import MfaPage from "./pages/MfaPage.vue";
import NotFoundPage from "./pages/NotFoundPage.vue";
import RegisterPage from "./pages/RegisterPage.vue";
import ResetPasswordPage from "./pages/ResetPasswordPage.vue";
import SettingsPage from "./pages/SettingsPage.vue";
import UnlockAccountPage from "./pages/UnlockAccountPage.vue";
import VerifyEmailPage from "./pages/VerifyEmailPage.vue";

// Before the router reads the URL: a provider's answer asking for a second factor.
acceptOAuthMfaRedirect();

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
    { path: "/unlock-account", component: UnlockAccountPage },
    { path: "/device", component: DevicePage },
    { path: "/:unknown(.*)*", component: NotFoundPage },
  ],
});
