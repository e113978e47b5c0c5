/**
 * Renders its children from the task after the one that mounted it. A view wraps its lower parts
 * in these so that showing it is several short main-thread tasks (each wrapper mounts in a timer
 * task of its own, in order) rather than one long one.
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';

export function MountInNextTask({ children }: { children: ReactNode }) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setShown(true), 0);
    return () => clearTimeout(timer);
  }, []);
  return shown ? children : null;
}
