/** An error the user can read (nothing when there is none), with a title and Dismiss if given. */
export function ErrorAlert({
  title,
  message,
  onDismiss,
}: {
  title?: string;
  message: string | null;
  onDismiss?(): void;
}) {
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert">
      {title ? <p className="alert-title">{title}</p> : null}
      <p>{message}</p>
      {onDismiss ? (
        <button type="button" className="button-quiet" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
