// The conversation as a strip of tokens: click one to look at it; the selected one is highlighted and kept
// in view. Updated in place, so that a long conversation streaming in does not rebuild thousands of chips.
'use strict';
window.Loom = window.Loom || {};

Loom.TokenStrip = class {
    // onPick(position): the user clicked a token.
    constructor(container, onPick) {
        this.container = container;
        this.chips = [];
        this.selected = -1;
        this.positions = [];
        container.addEventListener('click', (event) => {
            const chip = event.target.closest('.token');
            if (chip) onPick(Number(chip.dataset.position));
        });
        Loom.tooltip.attach(container, (event) => {
            const chip = event.target.closest('.token');
            return chip ? this.describe(Number(chip.dataset.position)) : null;
        });
    }

    describe(position) {
        const p = this.positions[position];
        if (!p) return null;
        const lines = [`#${position}  ${Loom.dom.quote(p.text, 40)}`, `token id ${p.tokenId}`];
        if (p.next && p.next.length) {
            lines.push(
                `model's next guess: ${Loom.dom.quote(p.next[0].text)} ${Loom.format.percent(p.next[0].p)}`);
        }
        return lines;
    }

    render(positions, selected) {
        this.positions = positions;
        for (let i = 0; i < positions.length; ++i) {
            const p = positions[i];
            const key = `${p.tokenId}\u0000${p.text}`;
            if (this.chips[i] && this.chips[i].dataset.key === key) continue;
            const chip = Loom.dom.el(
                'span', {class: 'token', dataset: {position: i, key}}, Loom.dom.tokenText(p.text));
            if (this.chips[i])
                this.container.replaceChild(chip, this.chips[i]);
            else
                this.container.append(chip);
            this.chips[i] = chip;
        }
        while (this.chips.length > positions.length)
            this.chips.pop().remove();

        const previous = this.chips[this.selected];
        if (previous) previous.classList.remove('selected');
        this.selected = selected;
        const chip = this.chips[selected];
        if (chip) {
            chip.classList.add('selected');
            this.keepInView(chip);
        }
    }

    // Scrolls the strip (not the page) so that `chip` is visible. The strip is the chips' offset parent
    // (position: relative in visualizer.css).
    keepInView(chip) {
        const strip = this.container;
        const top = chip.offsetTop, bottom = top + chip.offsetHeight;
        if (top < strip.scrollTop)
            strip.scrollTop = top - 4;
        else if (bottom > strip.scrollTop + strip.clientHeight)
            strip.scrollTop = bottom - strip.clientHeight + 4;
    }
};
