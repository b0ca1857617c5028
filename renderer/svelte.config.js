// Svelte compiler options for the renderer (read by @sveltejs/vite-plugin-svelte).
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
};
