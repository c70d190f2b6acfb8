// Colours: the theme the app sends (its palette), and the colour scales of the heatmaps.
// Every script of the page adds to the one global namespace `Loom`.
'use strict';
window.Loom = window.Loom || {};

Loom.colors = (() => {
    // "#rrggbb" -> [r, g, b]
    function parse(hex) {
        const value = parseInt(hex.slice(1), 16);
        return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
    }

    function css(rgb, alpha) {
        const [r, g, b] = rgb.map(Math.round);
        return alpha === undefined ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
    }

    function mix(a, b, t) { return [0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * t); }

    // A colour scale through evenly spaced stops: t in [0, 1] -> [r, g, b]. The colours are computed once
    // into a table of 1024 entries (heatmaps ask for millions of them); callers must not modify the
    // result. `scale.table` holds the same colours flat (r, g, b, r, g, b, ...) for tight loops.
    function scale(stops) {
        const rgb = stops.map((s) => (typeof s === 'string' ? parse(s) : s));
        const size = 1024;
        const colors = Array.from({length: size}, (_, i) => {
            const x = (i / (size - 1)) * (rgb.length - 1);
            const k = Math.min(Math.floor(x), rgb.length - 2);
            return mix(rgb[k], rgb[k + 1], x - k).map(Math.round);
        });
        const lookup = (t) => colors[t > 0 ? (t >= 1 ? size - 1 : Math.round(t * (size - 1))) : 0];
        lookup.table = Uint8Array.from(colors.flat());
        lookup.size = size;
        return lookup;
    }

    // Viridis (evenly sampled): perceptually uniform, readable for colour-blind users, on light and dark.
    const viridis = scale([
        '#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b',
        '#fde725'
    ]);

    // Attention is mostly near zero: its scale starts at the plot's background, so that empty cells recede.
    function attentionScale(theme) {
        const base = parse(theme.colors.base);
        return theme.dark ? scale([base, '#1d3a5f', '#1f6fb2', '#4ba3e3', '#a6dcff', '#ffffff']) :
                            scale([base, '#c6dbef', '#6baed6', '#2171b5', '#08306b']);
    }

    const lightTheme = {
        dark: false,
        colors: {
            window: '#f3f3f3',
            text: '#1f1f1f',
            base: '#ffffff',
            alternateBase: '#f7f7f7',
            button: '#ececec',
            mid: '#b8b8b8',
            highlight: '#2f6fdb',
            highlightedText: '#ffffff',
            placeholder: '#808080',
            link: '#2f6fdb',
        },
        font: {family: 'sans-serif', pixelSize: 13},
    };

    // Sets the page's CSS variables from a theme ({dark, colors, font} as the panel sends it) and returns
    // the derived values the canvases use.
    function applyTheme(theme) {
        const c = theme.colors;
        const text = parse(c.text), window_ = parse(c.window), base = parse(c.base);
        const accent = parse(c.highlight);
        const derived = {
            dark: theme.dark,
            text: c.text,
            muted: css(mix(text, window_, 0.45)),
            faint: css(mix(text, window_, 0.75)),
            border: css(mix(text, window_, 0.82)),
            grid: css(mix(text, base, 0.88)),
            plot: c.base,
            accent: c.highlight,
            accentRgb: accent,
            accentText: c.highlightedText,
            chip: css(mix(base, text, theme.dark ? 0.1 : 0.06)),
            missingRgb: mix(base, text, 0.25),
            fontFamily: theme.font.family,
            attention: attentionScale(theme),
        };
        const root = document.documentElement.style;
        root.setProperty('--bg', c.window);
        root.setProperty('--fg', c.text);
        root.setProperty('--plot', c.base);
        root.setProperty('--alt', c.alternateBase);
        root.setProperty('--button', c.button);
        root.setProperty('--muted', derived.muted);
        root.setProperty('--faint', derived.faint);
        root.setProperty('--border', derived.border);
        root.setProperty('--chip', derived.chip);
        root.setProperty('--accent', c.highlight);
        root.setProperty('--accent-fg', c.highlightedText);
        root.setProperty('--accent-soft', css(accent, theme.dark ? 0.35 : 0.18));
        root.setProperty('--font', `"${theme.font.family}", "DejaVu Sans", sans-serif`);
        root.setProperty('--font-size', `${Math.max(11, Math.round(theme.font.pixelSize))}px`);
        document.documentElement.classList.toggle('dark', !!theme.dark);
        return derived;
    }

    return {parse, css, mix, scale, viridis, attentionScale, lightTheme, applyTheme};
})();
