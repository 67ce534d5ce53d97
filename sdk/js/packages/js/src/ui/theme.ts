/** The prebuilt UI's look: a stylesheet of CSS variables, light and dark, and the `styles` option that sets them. */

/** Colours and shapes, in the shape of Stytch's `styles` prop, plus `theme`. */
export interface UIStyles {
  /** `light`, `dark`, or `auto` (default: the user's system setting). */
  theme?: 'light' | 'dark' | 'auto';
  fontFamily?: string;
  hideHeaderText?: boolean;
  container?: { backgroundColor?: string; borderColor?: string; borderRadius?: string; width?: string };
  colors?: { primary?: string; secondary?: string; success?: string; error?: string };
  buttons?: {
    primary?: ButtonStyle;
    secondary?: ButtonStyle;
  };
  inputs?: { backgroundColor?: string; borderColor?: string; borderRadius?: string; placeholderColor?: string; textColor?: string };
  logo?: { logoImageUrl?: string };
}

interface ButtonStyle {
  backgroundColor?: string;
  textColor?: string;
  borderColor?: string;
  borderRadius?: string;
}

/** Each option and the CSS variable it sets (any `--tsr-*` variable may also be set from CSS). */
const VARIABLES: [string, (s: UIStyles) => string | undefined][] = [
  ['--tsr-font', (s) => s.fontFamily],
  ['--tsr-bg', (s) => s.container?.backgroundColor],
  ['--tsr-border', (s) => s.container?.borderColor],
  ['--tsr-radius', (s) => s.container?.borderRadius],
  ['--tsr-width', (s) => s.container?.width],
  ['--tsr-text', (s) => s.colors?.primary],
  ['--tsr-muted', (s) => s.colors?.secondary],
  ['--tsr-success', (s) => s.colors?.success],
  ['--tsr-error', (s) => s.colors?.error],
  ['--tsr-primary-bg', (s) => s.buttons?.primary?.backgroundColor],
  ['--tsr-primary-text', (s) => s.buttons?.primary?.textColor],
  ['--tsr-primary-border', (s) => s.buttons?.primary?.borderColor],
  ['--tsr-button-radius', (s) => s.buttons?.primary?.borderRadius],
  ['--tsr-secondary-bg', (s) => s.buttons?.secondary?.backgroundColor],
  ['--tsr-secondary-text', (s) => s.buttons?.secondary?.textColor],
  ['--tsr-secondary-border', (s) => s.buttons?.secondary?.borderColor],
  ['--tsr-input-bg', (s) => s.inputs?.backgroundColor],
  ['--tsr-input-border', (s) => s.inputs?.borderColor],
  ['--tsr-input-radius', (s) => s.inputs?.borderRadius],
  ['--tsr-placeholder', (s) => s.inputs?.placeholderColor],
  ['--tsr-input-text', (s) => s.inputs?.textColor],
];

/** Sets the variables of `styles` on `root`, and its theme as `data-theme`. */
export function applyStyles(root: HTMLElement, styles: UIStyles = {}): void {
  for (const [name, pick] of VARIABLES) {
    const v = pick(styles);
    if (v) root.style.setProperty(name, v);
  }
  root.dataset.theme = styles.theme ?? 'auto';
}

// Light colours meet WCAG AA contrast (4.5:1) on their background, and so do the dark ones.
const LIGHT =
  '--tsr-bg:#fff;--tsr-border:#d0d7de;--tsr-text:#1f2328;--tsr-muted:#4b5563;--tsr-success:#166534;--tsr-error:#b91c1c;' +
  '--tsr-primary-bg:#1d4ed8;--tsr-primary-text:#fff;--tsr-primary-border:#1d4ed8;--tsr-secondary-bg:#fff;' +
  '--tsr-secondary-text:#1f2328;--tsr-secondary-border:#6b7280;--tsr-input-bg:#fff;--tsr-input-border:#6b7280;' +
  '--tsr-placeholder:#6b7280;--tsr-input-text:#1f2328;--tsr-focus:#1d4ed8;';
const DARK =
  '--tsr-bg:#111827;--tsr-border:#374151;--tsr-text:#f3f4f6;--tsr-muted:#d1d5db;--tsr-success:#86efac;--tsr-error:#fca5a5;' +
  '--tsr-primary-bg:#93c5fd;--tsr-primary-text:#0b1220;--tsr-primary-border:#93c5fd;--tsr-secondary-bg:#1f2937;' +
  '--tsr-secondary-text:#f3f4f6;--tsr-secondary-border:#9ca3af;--tsr-input-bg:#1f2937;--tsr-input-border:#9ca3af;' +
  '--tsr-placeholder:#9ca3af;--tsr-input-text:#f3f4f6;--tsr-focus:#93c5fd;';

/** The stylesheet, scoped to `.tsr` (variables set on the element win over these defaults). */
export const CSS = `
.tsr{${LIGHT}}
.tsr[data-theme=dark]{${DARK}}
@media (prefers-color-scheme:dark){.tsr[data-theme=auto]{${DARK}}}
.tsr{box-sizing:border-box;font-family:var(--tsr-font,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif);font-size:16px;line-height:1.5;
color:var(--tsr-text);background:var(--tsr-bg);border:1px solid var(--tsr-border);border-radius:var(--tsr-radius,8px);
width:var(--tsr-width,400px);max-width:100%;padding:32px;display:flex;flex-direction:column;gap:16px}
.tsr *{box-sizing:border-box}
.tsr .tsr-body{display:contents}
.tsr .tsr-field{display:flex;flex-direction:column;gap:4px}
.tsr h2{font-size:24px;line-height:1.25;margin:0;font-weight:600}
.tsr h2:focus{outline:none}
.tsr p{margin:0}
.tsr .tsr-logo{max-height:48px;max-width:160px;align-self:center}
.tsr .tsr-muted{color:var(--tsr-muted)}
.tsr form{display:flex;flex-direction:column;gap:8px;margin:0}
.tsr label{font-weight:500}
.tsr input{font:inherit;color:var(--tsr-input-text);background:var(--tsr-input-bg);border:1px solid var(--tsr-input-border);
border-radius:var(--tsr-input-radius,4px);padding:10px 12px;width:100%}
.tsr input::placeholder{color:var(--tsr-placeholder)}
.tsr button{font:inherit;font-weight:600;cursor:pointer;width:100%;padding:10px 12px;border-radius:var(--tsr-button-radius,4px);
border:1px solid var(--tsr-primary-border);background:var(--tsr-primary-bg);color:var(--tsr-primary-text)}
.tsr button.tsr-secondary{background:var(--tsr-secondary-bg);color:var(--tsr-secondary-text);border-color:var(--tsr-secondary-border)}
.tsr button.tsr-link{background:none;border:none;color:var(--tsr-text);text-decoration:underline;padding:4px;width:auto;align-self:center;font-weight:500}
.tsr button:disabled{opacity:.6;cursor:progress}
.tsr :focus-visible{outline:3px solid var(--tsr-focus);outline-offset:2px}
.tsr .tsr-divider{display:flex;align-items:center;gap:8px;color:var(--tsr-muted)}
.tsr .tsr-divider::before,.tsr .tsr-divider::after{content:'';flex:1;border-top:1px solid var(--tsr-border)}
.tsr .tsr-error{color:var(--tsr-error);font-weight:500}
.tsr .tsr-success{color:var(--tsr-success);font-weight:500}
.tsr .tsr-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/**
 * Adds the stylesheet to `doc` once, unless the page links it itself (an element marked
 * `data-tessera-ui`, as a page with a strict Content-Security-Policy does: no inline style).
 * The UI sets no style attribute either, only CSS variables through the CSSOM.
 */
export function injectStyles(doc: Document): void {
  if (doc.querySelector('#tessera-ui-styles, [data-tessera-ui]')) return;
  const style = doc.createElement('style');
  style.id = 'tessera-ui-styles';
  style.textContent = CSS;
  doc.head.appendChild(style);
}
