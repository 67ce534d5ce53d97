/** The prebuilt UI's runtime: a mounted root, its screens, focus, announcements, busy state, errors and callbacks. */
import { errorKey, fill, messages, type MessageKey, type Messages } from './messages';
import { applyStyles, injectStyles, type UIStyles } from './theme';

/** An event of the prebuilt UI: Stytch's `StytchEventType` names (`OTP_AUTHENTICATE`, …) and the server's answer. */
export interface UIEvent {
  type: string;
  data: unknown;
}

/** Stytch's `callbacks` prop. */
export interface UICallbacks {
  onEvent?(event: UIEvent): void;
  onError?(error: { message: string; error_type?: string }): void;
}

/** What every prebuilt component takes besides its own configuration. */
export interface ViewOptions {
  styles?: UIStyles;
  callbacks?: UICallbacks;
  /** The language of the strings (`en`, `fr`; default: the page's `<html lang>`, else English). */
  locale?: string;
  /** Replacements for any string of the message table. */
  strings?: Partial<Messages>;
}

/** A mounted component: `unmount()` removes it. */
export interface Mounted {
  unmount(): void;
}

type Attrs = Record<string, string | boolean | number | undefined | ((e: Event) => void)>;
type Child = Node | string | null | undefined | false;

/** An element of `doc` with attributes (`on*` ones are listeners) and children. */
export function h(doc: Document, tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== undefined && v !== false) el.setAttribute(k, String(v));
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

let mounts = 0;

export class View {
  readonly doc: Document;
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly live: HTMLElement;
  private alert: HTMLElement | null = null;
  private readonly strings: Messages;
  private readonly callbacks: UICallbacks;
  private readonly logo?: string;
  private readonly hideTitle: boolean;
  /** A prefix unique to this mount, for element ids. */
  readonly id: string;
  private shown = false;

  constructor(
    private readonly host: HTMLElement,
    opts: ViewOptions,
  ) {
    this.doc = host.ownerDocument;
    injectStyles(this.doc);
    this.id = `tsr${++mounts}`;
    this.strings = messages(opts.locale ?? this.doc.documentElement.lang, opts.strings);
    this.callbacks = opts.callbacks ?? {};
    this.logo = opts.styles?.logo?.logoImageUrl;
    this.hideTitle = opts.styles?.hideHeaderText ?? false;
    this.root = h(this.doc, 'div', { class: 'tsr' });
    applyStyles(this.root, opts.styles);
    this.body = h(this.doc, 'div', { class: 'tsr-body' });
    // Announcements for screen readers (what changed without moving focus).
    this.live = h(this.doc, 'div', { class: 'tsr-sr', role: 'status', 'aria-live': 'polite' });
    this.root.append(this.body, this.live);
    host.replaceChildren(this.root);
  }

  /** The string `key`, filled with `vars`. */
  t(key: MessageKey, vars?: Record<string, string | number>): string {
    return fill(this.strings[key], vars);
  }

  /**
   * Shows a screen: its title and content. After the first screen, focus moves to the element
   * marked `data-autofocus`, else to the title, so keyboard and screen-reader users follow.
   */
  show(title: MessageKey, ...content: Child[]): void {
    const heading = h(this.doc, 'h2', { tabindex: -1, id: `${this.id}-title`, class: this.hideTitle ? 'tsr-sr' : undefined }, this.t(title));
    this.alert = h(this.doc, 'p', { class: 'tsr-error', role: 'alert', hidden: true });
    const logo = this.logo ? h(this.doc, 'img', { class: 'tsr-logo', src: this.logo, alt: '' }) : null;
    this.body.replaceChildren(...[logo, heading, ...content, this.alert].filter((c): c is HTMLElement | string => !!c));
    this.root.setAttribute('aria-labelledby', heading.id);
    this.root.setAttribute('role', 'region');
    if (this.shown) {
      const target = this.body.querySelector<HTMLElement>('[data-autofocus]') ?? heading;
      target.focus();
    }
    this.shown = true;
  }

  /** Tells screen readers `text` (and shows nothing). */
  announce(text: string): void {
    this.live.textContent = '';
    // A change of content after a tick is announced even when the text repeats.
    setTimeout(() => (this.live.textContent = text), 50);
  }

  /** Shows `err` as a message of the table, and reports it to `onError`. */
  error(err: unknown): void {
    const message = this.t(errorKey(err));
    if (this.alert) {
      this.alert.textContent = message;
      this.alert.hidden = false;
    }
    this.callbacks.onError?.({ message, error_type: (err as { error_type?: string })?.error_type });
  }

  /** Reports an event to `onEvent`. */
  event(type: string, data: unknown): void {
    this.callbacks.onEvent?.({ type, data });
  }

  /**
   * Runs `work` with the screen's controls disabled and marked busy; an error is shown (and
   * reported), and the controls come back.
   */
  async busy(work: () => Promise<void>): Promise<void> {
    const controls = [...this.body.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button,input')];
    const was = controls.map((c) => c.disabled);
    // Disabling the focused control drops its focus: it comes back when the screen stays.
    const active = this.doc.activeElement as HTMLElement | null;
    controls.forEach((c) => (c.disabled = true));
    this.root.setAttribute('aria-busy', 'true');
    if (this.alert) this.alert.hidden = true;
    try {
      await work();
    } catch (err) {
      this.error(err);
    } finally {
      this.root.removeAttribute('aria-busy');
      controls.forEach((c, i) => c.isConnected && (c.disabled = was[i]));
      if (active?.isConnected && this.doc.activeElement !== active && this.root.contains(active)) active.focus();
    }
  }

  /** A labelled input. */
  field(name: string, label: MessageKey, attrs: Attrs): [HTMLElement, HTMLInputElement] {
    const input = h(this.doc, 'input', { id: `${this.id}-${name}`, name, required: true, ...attrs }) as HTMLInputElement;
    const wrap = h(this.doc, 'div', { class: 'tsr-field' }, h(this.doc, 'label', { for: input.id }, this.t(label)), input);
    return [wrap, input];
  }

  /** A form that calls `submit` (within `busy`) on Enter or its submit button. */
  form(submit: () => Promise<void>, ...children: Child[]): HTMLElement {
    return h(
      this.doc,
      'form',
      {
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.busy(submit);
        },
      },
      ...children,
    );
  }

  /** A button; `secondary` and `link` change its look. */
  button(text: string, onclick?: () => Promise<void> | void, kind: 'primary' | 'secondary' | 'link' = 'primary'): HTMLElement {
    return h(
      this.doc,
      'button',
      {
        type: onclick ? 'button' : 'submit',
        class: kind === 'primary' ? undefined : `tsr-${kind}`,
        onclick: onclick ? () => void this.busy(async () => onclick()) : undefined,
      },
      text,
    );
  }

  /** A paragraph. */
  p(text: string, cls = 'tsr-muted'): HTMLElement {
    return h(this.doc, 'p', { class: cls }, text);
  }

  /** Removes the component. */
  unmount(): void {
    this.root.remove();
    this.host.replaceChildren();
  }
}
