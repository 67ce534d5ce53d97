/** The `<script>` build with the prebuilt UI: `window.Tessera = { TesseraClient, mountLogin, … }` (the hosted login page uses it). */
export * from './index';
export * from './ui/index';
