"""Calendars, rooms and video links behind one Protocol (`base.CalendarProvider`); see docs/calendars.md."""
