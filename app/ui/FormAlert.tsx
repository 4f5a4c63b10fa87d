import { Alert } from "@mantine/core";

/** The form-level message of an action result (error or success), announced to screen readers. */
export function FormAlert({ error, success }: { error?: string | null; success?: string | null }) {
  if (error) {
    return (
      <Alert color="red.9" role="alert" title="À corriger">
        {error}
      </Alert>
    );
  }
  if (success) {
    return (
      <Alert color="green.9" role="status" title="C'est fait">
        {success}
      </Alert>
    );
  }
  return null;
}
