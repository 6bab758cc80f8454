import type { AccessTimeWindow } from './types.ts';

const WEEKDAY_INDEX: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building an Intl formatter costs far more than using one. */
function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** Weekday (0 = Sunday) and minute of the day of an instant, in a zone. */
export function localDayAndMinute(epochMs: number, timezone: string): { day: number; minute: number } {
  const parts = formatterFor(timezone).formatToParts(epochMs);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((part) => part.type === type)?.value ?? '';
  const day = WEEKDAY_INDEX[get('weekday')];
  if (day === undefined) throw new Error(`cannot read the weekday in zone ${timezone}`);
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/**
 * Whether an instant falls in a window. Start is inclusive, end exclusive, to the minute. A window
 * that crosses midnight belongs to the day it starts on: `fri 22:00–02:00` covers Saturday 01:59.
 */
export function inTimeWindow(window: AccessTimeWindow, epochMs: number): boolean {
  const { day, minute } = localDayAndMinute(epochMs, window.timezone);
  if (window.endMinute > window.startMinute) {
    return window.days.includes(day) && minute >= window.startMinute && minute < window.endMinute;
  }
  const previousDay = (day + 6) % 7;
  return (window.days.includes(day) && minute >= window.startMinute) || (window.days.includes(previousDay) && minute < window.endMinute);
}
