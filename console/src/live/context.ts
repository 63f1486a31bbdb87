import { createContext, useContext } from "react";
import type { Connection } from "../api/client";

export interface Live {
  connection: Connection;
  /** Grows by one each time the subscription socket comes back after a drop. */
  reconnects: number;
}

export const LiveContext = createContext<Live>({ connection: "connecting", reconnects: 0 });

export function useLive(): Live {
  return useContext(LiveContext);
}
