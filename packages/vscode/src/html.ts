// Small helpers shared by the webviews' HTML generators.
import { randomBytes } from 'node:crypto';

export function escapeHtml(text: string): string {
    return text
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&#39;');
}

export function makeNonce(): string {
    return randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

/**
 * JSON for embedding inside a <script> element: `<` is escaped so a label such as
 * `</script>` cannot end the element early.
 */
export function jsonForScript(value: unknown): string {
    return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A page shell with a strict CSP: no network, only inline styles and scripts carrying the nonce. */
export function webviewPage(options: { title: string; nonce: string; cspSource: string; style: string; body: string; script: string }): string {
    const csp = [
        "default-src 'none'",
        `style-src ${options.cspSource} 'unsafe-inline'`,
        `img-src ${options.cspSource} data:`,
        `script-src 'nonce-${options.nonce}'`
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(options.title)}</title>
<style>${options.style}</style>
</head>
<body>
${options.body}
<script nonce="${options.nonce}">${options.script}</script>
</body>
</html>`;
}
