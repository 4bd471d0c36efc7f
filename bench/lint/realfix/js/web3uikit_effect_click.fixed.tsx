// source: https://github.com/web3ui/web3uikit/pull/336 ("fix: remove event listeners when component unmounts")
// label: fixed  item: listener never removed
import React, { useEffect, useRef, useState } from "react";

export function Dropdown({ items }: { items: string[] }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const handleContentClick = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("click", handleContentClick);
    return () => document.removeEventListener("click", handleContentClick);
  }, []);

  return (
    <div ref={ref} onClick={() => setOpen(!open)}>
      {open && items.map((i) => <p key={i}>{i}</p>)}
    </div>
  );
}
