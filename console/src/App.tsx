import { useState } from "react";
import { Console } from "./Console";
import { SignIn } from "./pages/SignIn";
import { forgetKey, storedKey, storeKey } from "./session";

export function App() {
  const [key, setKey] = useState<string | null>(storedKey);
  const [notice, setNotice] = useState<string | null>(null);

  if (!key) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(k) => {
          storeKey(k);
          setNotice(null);
          setKey(k);
        }}
      />
    );
  }
  return (
    <Console
      key={key}
      apiKey={key}
      onSignOut={(message) => {
        forgetKey();
        setNotice(message ?? null);
        setKey(null);
      }}
    />
  );
}
