reset
set terminal svg size 640,400 dynamic enhanced font "DejaVu Sans Mono,10" background rgb "#000000"
set output '/tmp/h.svg'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#5F5F5F"
set tics textcolor rgb "#BCBCBC" nomirror
set key textcolor rgb "#BCBCBC" top left opaque box lc rgb "#3A3A3A"
set title textcolor rgb "#FFB000"
set xlabel textcolor rgb "#BCBCBC"
set ylabel textcolor rgb "#BCBCBC"
set y2label textcolor rgb "#BCBCBC"
set border 9 lc rgb "#5F5F5F"
unset ytics
set y2tics textcolor rgb "#BCBCBC" nomirror
set link y2
set grid xtics y2tics lc rgb "#303030" lw 1 dt 1
set xdata
set xtics autofreq
set key
set xlabel "px"
set y2label "count"
unset ylabel
unset logscale y
plot '$DATA0_0' binary format="%float64%float64%float64" using 1:2:3 with boxes fs solid 0.6 lc rgb "#FFB000" title "px"
unset output
