/** The `<script>` build: `window.Tessera = { TesseraClient, TesseraCoreClient, … }`. */
export * from './index';
