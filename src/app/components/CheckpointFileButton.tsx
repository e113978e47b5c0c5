/** A button that opens the file picker for a `.safetensors` checkpoint (the input stays hidden). */
import { useRef } from 'react';

interface CheckpointFileButtonProps {
  label: string;
  /** The hidden input's accessible name: what the chosen file is for. */
  inputLabel: string;
  disabled?: boolean;
  onFile(file: File): void;
}

export function CheckpointFileButton({
  label,
  inputLabel,
  disabled = false,
  onFile,
}: CheckpointFileButtonProps) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" disabled={disabled} onClick={() => input.current?.click()}>
        {label}
      </button>
      <input
        ref={input}
        type="file"
        accept=".safetensors,application/octet-stream"
        className="visually-hidden"
        tabIndex={-1}
        aria-label={inputLabel}
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = ''; // the same file can be chosen again
          if (file) onFile(file);
        }}
      />
    </>
  );
}
