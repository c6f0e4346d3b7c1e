import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Tauri loads the built files from its own protocol (frontendDist = ui/dist) and, in
// development, from the dev server on a fixed port (devUrl = http://localhost:1420).
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  resolve: {
    // One KaTeX: the math plugin require()s the CommonJS build, the app imports the ES one.
    alias: [{ find: /^katex$/, replacement: 'katex/dist/katex.mjs' }],
  },
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // The chat's renderers are large; each gets its own file (all bundled, none remote).
        codeSplitting: {
          groups: [
            { name: 'katex', test: /node_modules[\\/](katex|@vscode[\\/]markdown-it-katex)[\\/]/ },
            { name: 'highlight', test: /node_modules[\\/]highlight\.js[\\/]/ },
            {
              name: 'markdown',
              test: /node_modules[\\/](markdown-it|mdurl|uc\.micro|linkify-it|punycode\.js|entities|dompurify)[\\/]/,
            },
          ],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
  },
});
