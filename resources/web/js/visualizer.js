// The visualizer page: receives the panel's state over QWebChannel (the `loom` object, see
// ui/visualizer/visualizer_bridge.h), keeps a copy, and draws the header, the token strip and the view the
// user has open. The panel owns the state; clicks here are sent to it, and its answer redraws the page.
'use strict';
window.Loom = window.Loom || {};

Loom.app = (() => {
    const state = {
        model: {name: '', layers: 0, heads: 0, hiddenSize: 0},
        positions: [],
        selected: -1,
        selection: {position: -1, following: true, layer: 0, head: -1, view: 'hidden'},
        attention: {status: 'idle'},
        logitLens: {status: 'idle'},
    };
    let bridge = null;
    let views = null;
    let strip = null;
    let drawScheduled = false;
    const dirty = new Set();
    // Script errors, for tests (loomVisualizerState().errors); they also go to the console as usual.
    const errors = [];
    window.addEventListener(
        'error', (event) => errors.push(`${event.message} (${event.filename}:${event.lineno})`));

    // --- messages from the panel -------------------------------------------------------------------------

    function onModel(model) {
        state.model = model;
        state.positions = [];
        state.selected = -1;
        state.attention = {status: 'idle'};
        state.logitLens = {status: 'idle'};
        redraw('all');
    }

    function onPositions(changed, count) {
        state.positions.length = Math.min(state.positions.length, count);
        // The panel sends the new selection next; until then, do not point past the end.
        if (state.selected >= count) state.selected = count - 1;
        for (const p of changed)
            state.positions[p.position] = p;
        // Keep the array dense even if the panel sent fewer than `count` (it never should).
        for (let i = 0; i < count; ++i) {
            if (!state.positions[i])
                state.positions[i] = {position: i, tokenId: -1, text: '', norms: [], next: []};
        }
        redraw('all');
    }

    function onSelection(selection) {
        state.selection = selection;
        state.selected = selection.position;
        redraw('all');
    }

    function onAttention(message) {
        if (message.status === 'ready') message.matrices = decodeFloats(message.view.matrices);
        state.attention = message;
        redraw('attention');
    }

    function onLogitLens(message) {
        state.logitLens = message;
        redraw('lens');
    }

    function onTheme(theme) {
        Loom.theme = Loom.colors.applyTheme(theme);
        redraw('all');
    }

    // base64 of little-endian float32 -> Float32Array
    function decodeFloats(base64) {
        const text = atob(base64);
        const bytes = new Uint8Array(text.length);
        for (let i = 0; i < text.length; ++i)
            bytes[i] = text.charCodeAt(i);
        return new Float32Array(bytes.buffer);
    }

    // --- what the user does ------------------------------------------------------------------------------

    const actions = {
        pick(position) {
            if (bridge) bridge.selectPosition(position);
        },
        followLatest() {
            if (bridge) bridge.followLatest();
        },
        chooseAttention(layer, head) {
            if (bridge) bridge.chooseAttention(layer, head);
        },
        showView(name) {
            state.selection.view = name;
            if (bridge) bridge.showView(name);
            redraw('all');
        },
    };

    // --- drawing -----------------------------------------------------------------------------------------

    // Marks `what` ("all" or a view name) for redrawing at the next frame: a burst of messages draws once.
    function redraw(what) {
        if (what === 'all')
            ['hidden', 'attention', 'lens', 'next', 'chrome'].forEach((v) => dirty.add(v));
        else
            dirty.add(what);
        if (!drawScheduled) {
            drawScheduled = true;
            requestAnimationFrame(draw);
        }
    }

    function draw() {
        drawScheduled = false;
        if (!views) return;
        if (dirty.has('chrome')) drawChrome();
        const active = state.selection.view;
        for (const [name, view] of Object.entries(views)) {
            const section = document.getElementById(`view-${name}`);
            section.hidden = name !== active;
            // Hidden views are drawn when they are opened (they are still marked dirty).
            if (name === active && dirty.has(name)) {
                view.render(state);
                dirty.delete(name);
            }
        }
        dirty.delete('chrome');
    }

    function drawChrome() {
        const {model, positions, selected, selection} = state;
        document.getElementById('model-name').textContent = model.name || 'No model';
        document.getElementById('model-shape').textContent = model.layers ?
            `${model.layers} layers \u00b7 ${model.heads} heads \u00b7 hidden ${model.hiddenSize}` :
            '';
        document.getElementById('token-count').textContent =
            positions.length ? `${positions.length} token${positions.length === 1 ? '' : 's'}` : '';
        const follow = document.getElementById('follow-latest');
        follow.classList.toggle('on', !!selection.following);
        follow.textContent = selection.following ? 'Following latest' : 'Follow latest';
        follow.title = selection.following ? 'The view moves to each new token' :
                                             'Go back to the latest token and follow new ones';
        strip.render(positions, selected);
        document.getElementById('empty-strip').hidden = positions.length > 0;

        const summary = Loom.dom.clear(document.getElementById('selected-summary'));
        const p = positions[selected];
        if (p) {
            summary.append(
                Loom.dom.el('span', {class: 'muted'}, `#${selected}`), ' ',
                Loom.dom.el('span', {class: 'token selected'}, Loom.dom.tokenText(p.text)));
            if (p.next && p.next.length) {
                summary.append(
                    Loom.dom.el('span', {class: 'muted'}, '  \u2192 most likely next '),
                    Loom.dom.el('span', {class: 'token'}, Loom.dom.tokenText(p.next[0].text)),
                    ` ${Loom.format.percent(p.next[0].p)}`);
            }
        }
        for (const tab of document.querySelectorAll('#tabs button')) {
            tab.classList.toggle('active', tab.dataset.view === selection.view);
        }
    }

    // --- start -------------------------------------------------------------------------------------------

    function start() {
        Loom.theme = Loom.colors.applyTheme(Loom.colors.lightTheme);
        strip = new Loom.TokenStrip(document.getElementById('token-strip'), actions.pick);
        views = {
            hidden: new Loom.HiddenStatesView(document.getElementById('view-hidden'), actions),
            attention: new Loom.AttentionView(document.getElementById('view-attention'), actions),
            lens: new Loom.LogitLensView(document.getElementById('view-lens')),
            next: new Loom.NextTokenView(document.getElementById('view-next')),
        };
        for (const tab of document.querySelectorAll('#tabs button')) {
            tab.addEventListener('click', () => actions.showView(tab.dataset.view));
        }
        document.getElementById('follow-latest').addEventListener('click', actions.followLatest);
        let width = window.innerWidth;
        window.addEventListener('resize', () => {
            if (window.innerWidth !== width) {
                width = window.innerWidth;
                redraw('all');
            }
        });
        redraw('all');

        if (typeof qt === 'undefined' || !qt.webChannelTransport) {
            document.getElementById('model-name').textContent =
                'This page is shown by Loom\'s visualizer panel.';
            return;
        }
        new QWebChannel(qt.webChannelTransport, (channel) => {
            bridge = channel.objects.loom;
            bridge.modelChanged.connect(onModel);
            bridge.positionsChanged.connect(onPositions);
            bridge.selectionChanged.connect(onSelection);
            bridge.attentionChanged.connect(onAttention);
            bridge.logitLensChanged.connect(onLogitLens);
            bridge.themeChanged.connect(onTheme);
            bridge.pageLoaded();
        });
    }

    // What the page shows, for tests (QWebEnginePage::runJavaScript("loomVisualizerState()")).
    function visibleState() {
        return {
            positions: state.positions.length,
            hasHiddenStates: state.positions.some((p) => p.norms && p.norms.length > 0),
            hasAttention: state.attention.status === 'ready',
            hasLogitLens: state.logitLens.status === 'ready',
            selected: state.selected,
            layers: state.model.layers,
            following: !!state.selection.following,
            view: state.selection.view,
            attentionStatus: state.attention.status,
            logitLensStatus: state.logitLens.status,
            connected: bridge !== null,
            dark: !!(Loom.theme && Loom.theme.dark),
            errors: errors.slice(),
        };
    }

    return {
        start,
        actions,
        visibleState,
        state,
        get views() { return views; },
    };
})();

window.loomVisualizerState = Loom.app.visibleState;
document.addEventListener('DOMContentLoaded', Loom.app.start);
