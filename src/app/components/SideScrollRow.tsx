/**
 * A row that may scroll sideways (the header's buttons on narrow windows), marked with the ends
 * that hide more of it: styles.css fades those ends, so that a cut-off label is not the only cue
 * that there is more to scroll to.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReactNode, RefObject } from 'react';

interface HiddenEnds {
  before: boolean;
  after: boolean;
}

/** Whether a scrolling element hides content left and right of what it shows, kept up to date. */
function useHiddenEnds(ref: RefObject<HTMLElement | null>): HiddenEnds {
  const [ends, setEnds] = useState<HiddenEnds>({ before: false, after: false });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const update = () => {
      // One pixel of slack: zoomed pages scroll to fractions of a pixel short of the end.
      const before = element.scrollLeft > 1;
      const after = element.scrollLeft + element.clientWidth < element.scrollWidth - 1;
      setEnds((last) =>
        last.before === before && last.after === after ? last : { before, after },
      );
    };
    // The row's width follows the window; its content's width follows each child (a tab's
    // count, the sidebar button's label), and children come and go with the view.
    const resizes = new ResizeObserver(update);
    const observeAll = () => {
      resizes.disconnect();
      resizes.observe(element);
      for (const child of element.children) resizes.observe(child);
    };
    const mutations = new MutationObserver(observeAll);
    mutations.observe(element, { childList: true });
    observeAll();
    element.addEventListener('scroll', update, { passive: true });
    return () => {
      element.removeEventListener('scroll', update);
      mutations.disconnect();
      resizes.disconnect();
    };
  }, [ref]);
  return ends;
}

export function SideScrollRow({ className, children }: { className: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const { before, after } = useHiddenEnds(ref);
  return (
    <div
      className="side-scroll"
      data-more-before={before || undefined}
      data-more-after={after || undefined}
    >
      <div
        ref={ref}
        className={className}
        // The browser's own scrolling on focus ignores the row's scroll-padding and can leave the
        // focused button under a fade; scrollIntoView honours it.
        onFocus={(event) => event.target.scrollIntoView({ block: 'nearest', inline: 'nearest' })}
      >
        {children}
      </div>
    </div>
  );
}
