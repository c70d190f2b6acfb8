// Small helpers shared by the views: DOM building, number formats, token text, sharp canvases, the tooltip
// and colour legends.
'use strict';
window.Loom = window.Loom || {};

Loom.dom = (() => {
    // el("div", {class: "x", title: "..."}, child, "text", ...)
    function el(tag, attributes, ...children) {
        const node = document.createElement(tag);
        for (const [key, value] of Object.entries(attributes || {})) {
            if (value === undefined || value === null || value === false) continue;
            if (key === 'class')
                node.className = value;
            else if (key === 'dataset')
                Object.assign(node.dataset, value);
            else if (key.startsWith('on'))
                node.addEventListener(key.slice(2), value);
            else
                node.setAttribute(key, value === true ? '' : value);
        }
        for (const child of children.flat()) {
            if (child === undefined || child === null || child === false) continue;
            node.append(child instanceof Node ? child : document.createTextNode(String(child)));
        }
        return node;
    }

    // The symbols the app uses for whitespace (␣ ↵ ⇥ and the control pictures U+2400..U+2421).
    const whitespaceSymbols = /([\u2423\u21b5\u21e5\u2400-\u2421]+)/;

    // A token's text with its whitespace symbols dimmed, so that " the" reads as "␣the" without shouting.
    function tokenText(text) {
        const span = el('span', {class: 'token-text'});
        if (!text) {
            span.append(el('span', {class: 'ws'}, '\u2205'));  // ∅: a token without text
            return span;
        }
        for (const part of text.split(whitespaceSymbols)) {
            if (!part) continue;
            span.append(whitespaceSymbols.test(part) ? el('span', {class: 'ws'}, part) : part);
        }
        return span;
    }

    // The token in quotes for titles and tooltips, shortened.
    function quote(text, limit = 24) {
        const shown = text && text.length > limit ? text.slice(0, limit - 1) + '\u2026' : text || '\u2205';
        return `\u2018${shown}\u2019`;
    }

    function clear(node) {
        while (node.firstChild)
            node.removeChild(node.firstChild);
        return node;
    }

    return {el, tokenText, quote, clear};
})();

Loom.format = {
    // A probability as a percentage with as many decimals as it needs to show something.
    percent(p) {
        const x = p * 100;
        if (x >= 10) return `${x.toFixed(1)}%`;
        if (x >= 1) return `${x.toFixed(2)}%`;
        if (x >= 0.01) return `${x.toFixed(3)}%`;
        if (x > 0) return `${x.toExponential(1)}%`;
        return '0%';
    },
    // A measured value with four significant digits.
    number(v) {
        if (!Number.isFinite(v)) return String(v);
        const a = Math.abs(v);
        if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
        return Number(v.toPrecision(4)).toString();
    },
    // The exact value for tooltips.
    exact(v) { return Number.isFinite(v) ? Number(v.toPrecision(7)).toString() : String(v); },
};

Loom.canvas = {
    // Sizes the canvas to width x height CSS pixels at the screen's pixel density; returns a context that
    // draws in CSS pixels.
    setup(canvas, width, height) {
        const ratio = window.devicePixelRatio || 1;
        width = Math.max(1, Math.round(width));
        height = Math.max(1, Math.round(height));
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(height * ratio);
        canvas.style.width = `${width}px`;
        canvas.style.height = `${height}px`;
        const context = canvas.getContext('2d');
        context.setTransform(ratio, 0, 0, ratio, 0, 0);
        context.font = `11px ${Loom.theme ? `"${Loom.theme.fontFamily}", ` : ''}sans-serif`;
        context.textBaseline = 'middle';
        return context;
    },

    // Round axis ticks between min and max (about `count` of them).
    ticks(min, max, count = 4) {
        if (!(max > min)) return [min];
        const raw = (max - min) / count;
        const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) || raw;
        const ticks = [];
        for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
            ticks.push(Number(v.toPrecision(12)));
        return ticks;
    },

    // Every `step`-th index of `count` so that labels `minGap` pixels apart fit in cells of `cellSize`.
    labelStep(cellSize, minGap) {
        const candidates = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
        return candidates.find((s) => s * cellSize >= minGap) || Math.ceil(minGap / Math.max(cellSize, 1e-3));
    },
};

// One tooltip for the page: an element that follows the pointer.
Loom.tooltip = (() => {
    let node = null;

    // `lines`: strings or nodes; the first one is the title.
    function show(lines, clientX, clientY) {
        node = node || document.getElementById('tooltip');
        Loom.dom.clear(node);
        lines.forEach(
            (line, i) => node.append(Loom.dom.el('div', {class: i === 0 ? 'tip-title' : 'tip-line'}, line)));
        node.hidden = false;
        const margin = 14;
        const box = node.getBoundingClientRect();
        let x = clientX + margin, y = clientY + margin;
        if (x + box.width > window.innerWidth - 4) x = Math.max(4, clientX - box.width - margin);
        if (y + box.height > window.innerHeight - 4) y = Math.max(4, clientY - box.height - margin);
        node.style.left = `${x}px`;
        node.style.top = `${y}px`;
    }

    function hide() {
        if (node) node.hidden = true;
    }

    // Shows `content(event)` (lines, or null for none) while the pointer is over `target`.
    function attach(target, content) {
        target.addEventListener('mousemove', (event) => {
            const lines = content(event);
            if (lines)
                show(lines, event.clientX, event.clientY);
            else
                hide();
        });
        target.addEventListener('mouseleave', hide);
    }

    return {show, hide, attach};
})();

// A horizontal colour bar with ticks: {scale: t -> rgb, min, max, toUnit: value -> t, label, ticks?}.
Loom.legend = function(spec) {
    const width = 200, barHeight = 10, height = 34;
    const left = 22;  // room for the first and last tick labels, centred on the bar's ends
    const canvas = Loom.dom.el('canvas', {class: 'legend-bar'});
    const context = Loom.canvas.setup(canvas, width + 2 * left, height);
    for (let x = 0; x < width; ++x) {
        const value = spec.min + ((spec.max - spec.min) * (x + 0.5)) / width;
        context.fillStyle = Loom.colors.css(spec.scale(spec.toUnit(value)));
        context.fillRect(left + x, 2, 1, barHeight);
    }
    context.strokeStyle = Loom.theme.border;
    context.strokeRect(left + 0.5, 2.5, width - 1, barHeight - 1);
    context.fillStyle = Loom.theme.muted;
    context.textAlign = 'center';
    const ticks = spec.ticks || Loom.canvas.ticks(spec.min, spec.max, 4);
    for (const tick of ticks) {
        const x = left + ((tick - spec.min) / (spec.max - spec.min || 1)) * width;
        if (x < left - 1 || x > left + width + 1) continue;
        context.fillRect(x, barHeight + 2, 1, 3);
        context.fillText(spec.format ? spec.format(tick) : Loom.format.number(tick), x, barHeight + 12);
    }
    return Loom.dom.el(
        'div', {class: 'legend'}, Loom.dom.el('span', {class: 'legend-label'}, spec.label), canvas);
};
