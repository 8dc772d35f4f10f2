/** Small DOM helpers for the demo page. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`demo page: #${id} is missing`);
  return element as T;
}

type Props = {
  className?: string;
  textContent?: string;
  type?: string;
  title?: string;
  disabled?: boolean;
  dataset?: Record<string, string>;
  attrs?: Record<string, string>;
};

/** Creates an element: a few properties, data-attributes, attributes, then children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  const { dataset, attrs, ...rest } = props;
  Object.assign(element, rest);
  if (dataset) Object.assign(element.dataset, dataset);
  for (const [name, value] of Object.entries(attrs ?? {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** Runs `fn` once in the next animation frame, however often it is asked for before then. */
export function frameBatcher(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function formatTime(at: string | number | Date): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? '–' : timeFormat.format(date);
}

export function seatName(seat: { row: string; number: number }): string {
  return `${seat.row}${seat.number}`;
}

/** Rows A…Z before AA…ZZ. */
export function compareRows(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
