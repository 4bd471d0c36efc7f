// source: https://github.com/web3ui/web3uikit/pull/336 ("fix: remove event listeners when component unmounts")
// label: leaky  item: listener never removed
// Written here after the PR: a dropdown's effect adds a document click listener and returns no
// cleanup, so every mount adds one more listener that holds the component's closure.
import React, { useEffect, useRef, useState } from "react";

export function Dropdown({ items }: { items: string[] }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const handleContentClick = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("click", handleContentClick); // LEAK
  }, []);

  return (
    <div ref={ref} onClick={() => setOpen(!open)}>
      {open && items.map((i) => <p key={i}>{i}</p>)}
    </div>
  );
}
