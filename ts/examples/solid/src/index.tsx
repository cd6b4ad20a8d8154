import { render } from "solid-js/web";
import { App } from "./App.jsx";
import { acceptOAuthMfaRedirect } from "./signIn.js";
import "./styles.css";

// Before the router reads the URL.
acceptOAuthMfaRedirect();

const root = document.getElementById("app");
if (!root) throw new Error("index.html has no #app element");
render(() => <App />, root);
