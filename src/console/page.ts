/** The HTML shell of the console: the bundled script and styles. No data, no value, no token. */
export function renderShell(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>stage-secrets console</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="app"><noscript>The stage-secrets console needs JavaScript.</noscript></div>
<script src="/assets/app.js" defer></script>
</body>
</html>
`;
}
