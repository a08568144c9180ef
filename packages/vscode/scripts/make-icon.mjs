// Renders images/icon.png (128×128) from the SVG below with Debian's Chromium through
// playwright-core. Run by hand when the design changes: node scripts/make-icon.mjs
// The design: a linear neuron — three inputs converging on a cell body, one output — with
// the linear-implication arrow ⊸ inside the cell.
import { chromium } from 'playwright-core';
import * as path from 'node:path';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#1d3557"/><stop offset="1" stop-color="#274c77"/>
    </linearGradient>
    <radialGradient id="cell" cx="0.4" cy="0.35" r="0.7">
      <stop offset="0" stop-color="#ffb4a2"/><stop offset="1" stop-color="#e5383b"/>
    </radialGradient>
  </defs>
  <rect x="4" y="4" width="120" height="120" rx="24" fill="url(#bg)"/>
  <g stroke="#a8dadc" stroke-width="6" stroke-linecap="round" fill="none">
    <path d="M16 30 C 36 32, 44 46, 56 56"/>
    <path d="M12 64 L 50 64"/>
    <path d="M16 98 C 36 96, 44 82, 56 72"/>
    <path d="M92 64 L 116 64"/>
  </g>
  <g fill="#a8dadc"><circle cx="16" cy="30" r="6"/><circle cx="12" cy="64" r="6"/><circle cx="16" cy="98" r="6"/></g>
  <path d="M108 54 L 120 64 L 108 74 Z" fill="#a8dadc"/>
  <circle cx="70" cy="64" r="26" fill="url(#cell)" stroke="#ffe8d6" stroke-width="3"/>
  <g stroke="#1d3557" stroke-width="5" stroke-linecap="round" fill="none">
    <circle cx="79" cy="64" r="7"/>
    <path d="M56 64 L 72 64"/>
  </g>
</svg>`;

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking']
});
try {
    const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
    const out = path.join(import.meta.dirname, '..', 'images', 'icon.png');
    await page.locator('svg').screenshot({ path: out, omitBackground: true });
    console.log(`wrote ${out}`);
} finally {
    await browser.close();
}
