// Finding elements the way people (and assistive technology) do: an input by its label's
// text, a button by its text. A label not tied to its input fails here.
import type { DOMWrapper, VueWrapper } from "@vue/test-utils";

type Wrapper = VueWrapper | DOMWrapper<Element>;

export function byLabel(wrapper: Wrapper, text: string): DOMWrapper<HTMLInputElement> {
  const label = wrapper.findAll("label").find((l) => l.text() === text);
  if (!label) throw new Error(`no label "${text}"`);
  const id = label.attributes("for");
  if (!id) throw new Error(`label "${text}" names no input`);
  const input = wrapper.find<HTMLInputElement>(`[id="${id}"]`);
  if (!input.exists()) throw new Error(`label "${text}" names #${id}, which is not there`);
  return input;
}

export function button(wrapper: Wrapper, name: string): DOMWrapper<HTMLButtonElement> {
  const found = wrapper.findAll<HTMLButtonElement>("button").find((b) => b.text() === name);
  if (!found) throw new Error(`no button "${name}"`);
  return found;
}

export function hasButton(wrapper: Wrapper, name: string): boolean {
  return wrapper.findAll("button").some((b) => b.text() === name);
}

/** The text of the element with this role, or null when there is none. */
export function roleText(wrapper: Wrapper, role: "alert" | "status"): string | null {
  const found = wrapper.find(`[role="${role}"]`);
  return found.exists() ? found.text() : null;
}
