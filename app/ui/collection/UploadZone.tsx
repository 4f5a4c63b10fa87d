import { useRef, useState } from "react";
import { Alert, Button, Group, Paper, Progress, Stack, Text } from "@mantine/core";
import { useRevalidator } from "@remix-run/react";
import type { Problem } from "~/domain/problems";
import { ProblemsTable } from "./ProblemsTable";

export interface UploadResponse {
  ok: boolean;
  message: string;
  number?: number;
  problems?: Problem[];
}

/**
 * Drag-and-drop (or choose) a workbook; sends it with a progress bar to the
 * JSON upload endpoint, then refreshes the page. Without JavaScript the
 * surrounding form posts the file to the page action instead.
 */
export function UploadZone({ action, maxBytes }: { action: string; maxBytes: number }) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<UploadResponse | null>(null);
  const [dragging, setDragging] = useState(false);
  const revalidator = useRevalidator();

  function send(file: File) {
    setResult(null);
    if (file.size > maxBytes) {
      setResult({ ok: false, message: `Le fichier dépasse ${Math.round(maxBytes / 1024 / 1024)} Mo : réduisez-le (supprimez les onglets ajoutés) puis réessayez.` });
      return;
    }
    const body = new FormData();
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => e.lengthComputable && setProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      setProgress(null);
      try {
        setResult(JSON.parse(xhr.responseText) as UploadResponse);
      } catch {
        setResult({ ok: false, message: `Le dépôt a échoué (erreur ${xhr.status}). Réessayez dans un instant.` });
      }
      revalidator.revalidate();
    };
    xhr.onerror = () => {
      setProgress(null);
      setResult({ ok: false, message: "La connexion a été interrompue pendant l'envoi : vérifiez votre réseau et réessayez." });
    };
    xhr.send(body);
  }

  return (
    <Stack>
      <Paper
        withBorder
        p="lg"
        className="upload-zone"
        style={{ borderStyle: "dashed", borderWidth: 2, background: dragging ? "var(--mantine-color-indigo-0)" : undefined }}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const file = e.dataTransfer.files[0];
          if (file) send(file);
        }}
      >
        <Stack align="center" gap="xs">
          <Text fw={600}>Glissez-déposez votre classeur Excel ici</Text>
          <Text size="sm" c="dimmed">
            ou
          </Text>
          <input
            ref={input}
            id="workbook-file"
            name="file"
            type="file"
            accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            aria-label="Classeur Excel à déposer (.xlsx)"
            style={{ position: "absolute", width: 1, height: 1, opacity: 0 }}
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) send(file);
              e.currentTarget.value = "";
            }}
          />
          <Group>
            <Button onClick={() => input.current?.click()}>Choisir un fichier…</Button>
            <noscript>
              <Button type="submit">Déposer</Button>
            </noscript>
          </Group>
          <Text size="xs" c="dimmed">
            Format .xlsx (modèle du portail), {Math.round(maxBytes / 1024 / 1024)} Mo au plus.
          </Text>
        </Stack>
      </Paper>
      {progress !== null && <Progress value={progress} size="lg" aria-label={`Envoi en cours : ${progress} %`} striped animated />}
      {result && (
        <UploadOutcome ok={result.ok} problems={result.problems ?? []} message={result.message} />
      )}
      {result && !result.ok && result.problems && result.problems.length > 0 && <ProblemsTable problems={result.problems} caption="Problèmes du fichier refusé" />}
    </Stack>
  );
}

/**
 * The outcome of an upload, in the colour of its worst problem: a file kept
 * with errors is not a green success (red), one with warnings only is amber.
 */
export function uploadTone(ok: boolean, problems: readonly Problem[]): { color: string; role: "status" | "alert"; title: string } {
  if (!ok) return { color: "red.9", role: "alert", title: "Fichier refusé" };
  if (problems.some((p) => p.severity === "error")) return { color: "red.9", role: "alert", title: "Fichier reçu, avec des erreurs à corriger" };
  if (problems.length > 0) return { color: "orange.9", role: "status", title: "Fichier reçu, avec des avertissements" };
  return { color: "green.9", role: "status", title: "Fichier reçu" };
}

export function UploadOutcome({ ok, problems, message }: { ok: boolean; problems: readonly Problem[]; message: string }) {
  const tone = uploadTone(ok, problems);
  return (
    <Alert color={tone.color} role={tone.role} title={tone.title}>
      {message}
    </Alert>
  );
}
