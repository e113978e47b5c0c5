/** An error message in an alert box (nothing when there is none). */
export function ErrorAlert({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert">
      <p>{message}</p>
    </div>
  );
}
